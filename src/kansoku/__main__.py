from kansoku.cli import main

main()
