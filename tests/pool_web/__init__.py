"""Pages of the mediator pool: directories, pool management, the assignment panel."""
