// A stand-in download server for the CI tests: serves the files of a directory over HTTP on
// 127.0.0.1 at an ephemeral port, and logs each request.
//
//   node serve-dir.mjs DIR PORT_FILE LOG_FILE
//
// Writes the port to PORT_FILE once it listens (write then rename, so a reader never sees half of
// it); appends "METHOD PATH STATUS" per request to LOG_FILE. GET and HEAD of a regular file under
// DIR: 200 with its bytes; anything else 404 (or 405 for other methods). Runs until killed.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const [dir, portFile, logFile] = process.argv.slice(2);
if (!logFile) throw new Error("usage: serve-dir.mjs DIR PORT_FILE LOG_FILE");
const root = fs.realpathSync(dir);

const server = http.createServer((req, res) => {
  const done = (status) => fs.appendFileSync(logFile, `${req.method} ${req.url} ${status}\n`);
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405).end();
    return done(405);
  }
  let file;
  try {
    const urlPath = decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname);
    file = fs.realpathSync(path.join(root, urlPath));
    if (!(file === root || file.startsWith(root + path.sep)) || !fs.statSync(file).isFile()) file = undefined;
  } catch {
    file = undefined;
  }
  if (!file) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return done(404);
  }
  const size = fs.statSync(file).size;
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
  if (req.method === "HEAD") {
    res.end();
    return done(200);
  }
  done(200); // logged as the response starts: the client may be gone before a "finish"
  fs.createReadStream(file).pipe(res);
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(`${portFile}.tmp`, `${server.address().port}\n`);
  fs.renameSync(`${portFile}.tmp`, portFile);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
