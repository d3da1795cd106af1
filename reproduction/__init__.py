"""The paper's Tables 1-3: the rows and the paper's values (`tables`), the job that trains and
tabulates them on Ray (`job`, run by scripts/reproduce.py) and the README's generated table
(`readme`). An application of `pse_tf`, beside it: the library never imports it."""
