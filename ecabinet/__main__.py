"""`python -m ecabinet ...` is the same as the `ecabinet` command."""

from ecabinet.cli import main

main()
