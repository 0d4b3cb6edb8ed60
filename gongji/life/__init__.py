"""Life events of an insured person (death, moving, changing scheme) and what they end (N-6, D-5, HN-5, LC-5, LC-7)."""
