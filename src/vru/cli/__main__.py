from vru.cli import main

main()
