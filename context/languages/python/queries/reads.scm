; For the names a file reads (context/missing_python_imports.py): every identifier, the
; attribute names among them (`x.name` reads only `x`), the places where an identifier is not
; a read (imports, `case` patterns, what the parser could not place), and star imports.
(identifier) @identifier
(attribute attribute: (identifier) @member)
[
  (import_statement)
  (import_from_statement)
  (future_import_statement)
  (case_pattern)
  (ERROR)
] @not_read
(wildcard_import) @star
