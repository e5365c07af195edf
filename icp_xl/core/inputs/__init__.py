"""Reading inputs: accounts tables, column headers, numbers and money, industry names and
cell values, turned into the clean columns the model scores (plus deterministic sample
accounts). Pure functions over values and DataFrames; files are read at the edges."""
