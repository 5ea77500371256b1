"""Where the engine meets other platforms: nbgrader (its exchange, collected submissions,
gradebook and ``--course`` batches), Gradescope's autograder, and the student's side of both."""
