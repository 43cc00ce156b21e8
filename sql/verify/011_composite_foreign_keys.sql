SELECT 1 / (count(*) = 2)::int FROM pg_constraint
 WHERE contype = 'f'
   AND conname IN ('information_unit_source_fkey', 'cut_change_set_affected_row_unit_fkey')
   AND array_length(conkey, 1) = 2;
SELECT 1 / (count(*) = 0)::int FROM pg_constraint
 WHERE conname IN ('information_unit_source_document_id_fkey',
                   'information_unit_source_version_id_fkey',
                   'cut_change_set_affected_row_change_set_id_fkey',
                   'cut_change_set_affected_row_information_unit_id_fkey');
