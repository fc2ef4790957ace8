import { statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/**
 * Calls `onChange` once things settle (`debounceMs`) after any of the files, or anything under the
 * folders, changes; returns a function that stops watching. A file is watched through its folder:
 * editors that save by renaming a new file over the old one would otherwise leave the watch on
 * the replaced file, and later saves would go unnoticed.
 */
export function watchManifestPaths(
  paths: readonly string[],
  onChange: () => void,
  debounceMs = 300,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = paths.map((path) => {
    const absolute = resolve(path);
    if (statSync(absolute).isDirectory()) return watch(absolute, { recursive: true }, changed);
    const name = basename(absolute);
    return watch(dirname(absolute), (_event, filename) => {
      if (filename === null || filename === name) changed();
    });
  });
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
