package dev.ocitag.core;

/** A backend that can tell in advance whether a repository's tags may be moved. */
public interface TagPolicy {

  /** Whether a tag that already points at another image may be moved to a new one. */
  boolean mayOverwrite(ImageRef target);
}
