// SGKeyring: see README "Layout".
