-- iWmo and iJw are separate domains (rules.md §0): a gemeente may give one client, at one
-- aanbieder, an iWmo and an iJw toewijzing with the same ToewijzingNummer. With the domain
-- outside the key the later one overwrote the other's row, and a 323 on the lost one was
-- refused (TR338). Rows stored before 0012 keep domain '' and match any domain on lookup.
ALTER TABLE history_toewijzing DROP CONSTRAINT history_toewijzing_pkey;
ALTER TABLE history_toewijzing
    ADD PRIMARY KEY (gemeente, aanbieder, person_key, domain, toewijzing_nummer);
