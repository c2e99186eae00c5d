package dev.ocitag.distribution.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a server on this machine, which drops one connection the way
 * a network does: the first connection to carry more than {@code cutAfter} bytes in the chosen
 * direction is reset (both sides, no orderly close) once those bytes have passed. Connections after
 * that pass whole, so a second attempt gets through.
 */
public final class CuttingProxy implements AutoCloseable {

  /** Which bytes are counted: the client's to the server, or the server's answer. */
  public enum Direction {
    TO_SERVER,
    TO_CLIENT
  }

  private final ServerSocket server;
  private final int targetPort;
  private final Direction direction;
  private final long cutAfter;
  private final AtomicBoolean armed = new AtomicBoolean(true);
  private final AtomicInteger cuts = new AtomicInteger();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

  private CuttingProxy(ServerSocket server, int targetPort, Direction direction, long cutAfter) {
    this.server = server;
    this.targetPort = targetPort;
    this.direction = direction;
    this.cutAfter = cutAfter;
  }

  /** Starts a proxy to 127.0.0.1:{@code targetPort}. */
  public static CuttingProxy start(int targetPort, Direction direction, long cutAfter)
      throws IOException {
    ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    CuttingProxy proxy = new CuttingProxy(server, targetPort, direction, cutAfter);
    daemon("proxy-accept", proxy::accept);
    return proxy;
  }

  /** {@code 127.0.0.1:PORT}. */
  public String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** How many connections were cut (0 or 1). */
  public int cuts() {
    return cuts.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(upstream);
        daemon("proxy-up", () -> pump(client, upstream, Direction.TO_SERVER));
        daemon("proxy-down", () -> pump(upstream, client, Direction.TO_CLIENT));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(Socket from, Socket to, Direction way) {
    byte[] buffer = new byte[16 * 1024];
    long passed = 0;
    try (InputStream in = from.getInputStream()) {
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (way == direction && passed + n > cutAfter && armed.compareAndSet(true, false)) {
          out.write(buffer, 0, (int) (cutAfter - passed));
          out.flush();
          reset(from);
          reset(to);
          cuts.incrementAndGet();
          return;
        }
        out.write(buffer, 0, n);
        passed += n;
      }
      to.shutdownOutput();
    } catch (IOException e) {
      close(from);
      close(to);
    }
  }

  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0); // RST, as a dropped connection shows
    } catch (IOException e) {
      // closing still cuts it
    }
    close(socket);
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }

  private static void daemon(String name, Runnable task) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(CuttingProxy::close);
  }
}
