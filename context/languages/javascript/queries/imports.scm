; import d, {a, b as c} from "./m"; import * as ns from "./m"; import "./side-effect"
(import_statement source: (string (string_fragment) @source)) @import
; const m = require("./m"); const {a, b: c} = require("./m")
(variable_declarator
  name: (_) @binding
  value: (call_expression
    function: (identifier) @function
    arguments: (arguments . (string (string_fragment) @source)))
  (#eq? @function "require")) @require
; export {a, b as c} from "./m"; export * from "./m" (index files that gather a folder's names)
(export_statement source: (string (string_fragment) @source)) @reexport
