; Where automatic completion stays quiet: comments and string literals.
(comment) @comment
(string) @string
