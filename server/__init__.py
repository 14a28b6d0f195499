"""Protocol and command line: the LSP server and the codegen-complete CLI."""
