"""The data key the tests seal the store with. The test suite's subprocesses (`langgan`
run as a command) get it through the environment, which conftest sets."""

DATA_KEY = "NYmPGNFXw4TOSUrvmZ3Kt1TDC1mgKWOtuQZRUr-8BEo="
