; Attribute names a file assigns (`obj.extra = ...`): objects get attributes their class
; never names.
(assignment left: (attribute attribute: (identifier) @name))
(augmented_assignment left: (attribute attribute: (identifier) @name))
