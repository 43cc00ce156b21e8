-- Roles (cluster-wide, created once) and this database's baseline rights.
-- Runs as the administrator; every later file runs as cutter_owner.
-- No login secret is ever set here: credentials are provisioned out of band.
DO $$
DECLARE
    wanted CONSTANT text[][] := ARRAY[
        ['cutter_owner',  'NOLOGIN'],   -- owns every governed object
        ['cutter_exec',   'LOGIN'],     -- writes IUs through fn_iu_create only
        ['cutter_enact',  'LOGIN'],     -- enacts drafts through fn_iu_enact only
        ['cutter_verify', 'LOGIN'],     -- reads, writes its own verify records
        ['cutter_probe',  'NOLOGIN']    -- owns SECURITY DEFINER probes
    ];
    i int;
BEGIN
    FOR i IN 1 .. array_length(wanted, 1) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted[i][1]) THEN
            EXECUTE format('CREATE ROLE %I %s NOINHERIT', wanted[i][1], wanted[i][2]);
        END IF;
    END LOOP;
    EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO cutter_owner', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO cutter_exec, cutter_enact, cutter_verify',
                   current_database());
END
$$;

-- Nobody but the owner creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO cutter_owner;
GRANT USAGE ON SCHEMA public TO cutter_exec, cutter_enact, cutter_verify, cutter_probe;

-- Functions the owner creates are not executable by PUBLIC unless granted.
ALTER DEFAULT PRIVILEGES FOR ROLE cutter_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE cutter_probe REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
