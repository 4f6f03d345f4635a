package org.gbmixed.base;

/** The engine's version, for the facade and for the messages of the model formats. */
public final class Version {
    private Version() {}

    /** {@return the jar's Implementation-Version, or "dev" when run from classes} */
    public static String engine() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
