"""Executive mode: codemod helpers the rules use to write fixes, and the bounded fix loop."""
