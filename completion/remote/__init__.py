"""The remote backend: an OpenAI-compatible `/v1/completions` server (vLLM, llama.cpp's
server, ...) in place of the in-process engine: its settings (endpoint.py, read without
loading an HTTP client), the streaming client (backend.py) and what the server has cached
(servercache.py)."""
