; import "example.com/app/models" / import m "example.com/app/models" / import ( ... )
(import_spec
  name: (_)? @alias
  path: (interpreted_string_literal (interpreted_string_literal_content) @path))
