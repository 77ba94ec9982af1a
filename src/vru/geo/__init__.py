"""Geography: coordinate transforms, grids, the LSOA -> LA -> CSP -> PFA hierarchy."""
