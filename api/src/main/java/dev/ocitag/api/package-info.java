/**
 * ocitag's Java API: {@link dev.ocitag.api.Ocitag}, built with {@link
 * dev.ocitag.api.Ocitag.Builder}.
 *
 * <p>The public API is this package and the values it takes and returns, all from {@code
 * dev.ocitag.core}: {@link dev.ocitag.core.engine.TagReport}, {@link
 * dev.ocitag.core.engine.TagResult}, {@link dev.ocitag.core.engine.Outcome}, {@link
 * dev.ocitag.core.engine.Transfer}, {@link dev.ocitag.core.Manifest}, {@link
 * dev.ocitag.core.Digest}, {@link dev.ocitag.core.ImageRef}, {@link
 * dev.ocitag.core.OcitagException} and its kinds, and the option keys {@link
 * dev.ocitag.core.BackendOption} that backends declare ({@code
 * dev.ocitag.distribution.RegistryOptions}, {@code dev.ocitag.ecr.EcrOptions}). Everything else on
 * the class path (the engine, the backend SPI, the backends' classes) is ocitag's inside and may
 * change between versions.
 *
 * <p>One Maven dependency brings every backend: {@code dev.ocitag:ocitag-api}.
 */
package dev.ocitag.api;
