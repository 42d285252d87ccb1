"""What every layer speaks: the checked request (``JazzRequest``) and the failure that carries an id."""
