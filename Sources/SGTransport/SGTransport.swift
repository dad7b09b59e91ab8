// SGTransport: see README "Layout".
