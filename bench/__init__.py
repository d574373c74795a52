"""The benchmark harness (`make bench`, `python -m bench`): figures against issue 12's budgets."""
