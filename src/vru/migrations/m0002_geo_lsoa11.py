"""LSOA 2011 best-fit for every LSOA (deprivation is published on 2011 LSOAs), and views."""


def up(con) -> None:
    con.execute("ALTER TABLE geo_lsoa ADD COLUMN lsoa11_code VARCHAR")
    con.execute(
        """CREATE OR REPLACE VIEW lsoa_deprivation AS
           SELECT l.lsoa_code, l.vintage, l.lad_code, d.imd_rank, d.imd_decile,
                  l.lsoa11_code AS deprivation_lsoa11
           FROM geo_lsoa l LEFT JOIN geo_deprivation d ON d.lsoa11_code = l.lsoa11_code"""
    )
