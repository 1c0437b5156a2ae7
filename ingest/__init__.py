"""Reading, chunking, embedding and storing documents."""
