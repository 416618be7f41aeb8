"""The formats documents leave and enter in: official administrative documents (Nghị định
30/2020/NĐ-CP) and the tables offices keep (CSV, XLSX), with the guard against spreadsheet formulas."""
