"""Data in: readers, the template schema, and validation with its problems report.

- :mod:`.readers` reads CSV, XLSX, Parquet and REDCap exports into raw tables (cells as
  read, rows numbered as seen in the file) and maps the user's columns to the template;
- :mod:`.schema` is the template (columns, types, codes, labels), :mod:`.template`
  writes it as a workbook or a REDCap data dictionary;
- :mod:`.validation` checks the tables against the template and the clinical rules and
  returns every problem at once (file, sheet, row, column, rule);
- :mod:`.dates` parses dates under one policy; :mod:`.days` does the day arithmetic.
"""
