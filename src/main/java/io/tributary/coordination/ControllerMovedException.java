package io.tributary.coordination;

/**
 * A controller's write was refused because another broker has been elected controller since: the
 * {@code /controller_epoch} znode is no longer at the version this controller wrote. The deposed
 * controller must stop acting.
 */
public final class ControllerMovedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ControllerMovedException(String message) {
        super(message);
    }
}
