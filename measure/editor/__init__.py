"""What the user gets in an editor: the typing benchmark (keystrokes.py) and its real-use and
replay variants, a peer (llama.cpp's server driven as llama.vscode drives it), the LSP
client they share, and the soak."""
