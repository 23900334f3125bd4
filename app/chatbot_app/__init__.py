"""Chat application that runs in Lambda: thin handlers (``handlers``) over a shared core (``core``)."""
