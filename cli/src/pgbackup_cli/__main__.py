from pgbackup_cli.main import main

raise SystemExit(main())
