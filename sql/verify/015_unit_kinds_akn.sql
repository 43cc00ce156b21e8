SELECT 1 / (count(*) = 9)::int FROM public.unit_kind_vocab
 WHERE unit_kind IN ('recital', 'title', 'subtitle', 'schedule', 'annex',
                     'subchapter', 'crossheading', 'paragraph', 'subparagraph');
