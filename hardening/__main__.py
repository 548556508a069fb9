from hardening.cli import main

main()
