"""Looking back and comparing: scenario comparison, change report, audit history, coverage."""
