"""Figures and diagrams in the book's notation: plots take result rows and compute nothing."""
