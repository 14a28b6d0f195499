; import a.b / import a.b as c
(import_statement name: (dotted_name) @module)
(import_statement name: (aliased_import name: (dotted_name) @module alias: (identifier) @alias))
; from m import x / from m import x as y / from . import x
(import_from_statement module_name: (_) @from name: (dotted_name) @name)
(import_from_statement module_name: (_) @from
  name: (aliased_import name: (dotted_name) @name alias: (identifier) @alias))
