"""How fast: the engine benchmark (against llama.cpp and transformers), drafting, context
gathering, the index at scale, vLLM and teams sharing one server."""
