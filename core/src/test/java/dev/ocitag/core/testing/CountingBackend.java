package dev.ocitag.core.testing;

import dev.ocitag.core.Digest;
import dev.ocitag.core.ImageRef;
import dev.ocitag.core.Manifest;
import dev.ocitag.core.TagBackend;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A real backend seen through a decorator that counts its writes. */
public class CountingBackend implements TagBackend {
  private final TagBackend delegate;
  public final AtomicInteger puts = new AtomicInteger();
  public final AtomicInteger fetches = new AtomicInteger();

  public CountingBackend(TagBackend delegate) {
    this.delegate = delegate;
  }

  @Override
  public Manifest fetch(ImageRef ref) {
    fetches.incrementAndGet();
    return delegate.fetch(ref);
  }

  @Override
  public Optional<Digest> resolve(ImageRef ref) {
    return delegate.resolve(ref);
  }

  @Override
  public Digest put(ImageRef target, Manifest manifest) {
    puts.incrementAndGet();
    return delegate.put(target, manifest);
  }

  @Override
  public Stream<String> tags(ImageRef repository) {
    return delegate.tags(repository);
  }

  @Override
  public void untag(ImageRef ref) {
    delegate.untag(ref);
  }
}
