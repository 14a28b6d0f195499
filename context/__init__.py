"""What the model is shown: source files and the text around the cursor."""
