"""Research beside the product: studies, curves, zero-shot, unseen words, benchmarks (README.md)."""
