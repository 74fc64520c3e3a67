// A read-only memory mapping of a file, for reading it without copying it out of the page cache.
//
// Reading a mapping of a file that shrinks meanwhile (another process truncates it) would raise
// SIGBUS and kill the process. A process-wide SIGBUS handler, installed with the first mapping,
// maps a page of zeros over the faulting page when the address lies in a live MappedFile and
// records it; the reader then checks shrank() and reports the file as changed, instead of
// crashing. SIGBUS at any other address keeps its previous disposition (the default: the process
// dies, as before).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "castor/base/status.h"

namespace castor {

class MappedFile {
 public:
  // Maps the first `size` (> 0) bytes of the open file `fd` read-only. Fails (with the errno of
  // mmap, or ResourceExhausted when too many mappings are live at once) where the caller should
  // read() instead.
  static Result<std::unique_ptr<MappedFile>> Map(int fd, uint64_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return base_; }
  uint64_t size() const { return size_; }

  // Whether a page the kernel could not provide was touched since the mapping was made (it read
  // as zeros): a page past the file's current end (the file shrank), or one the disk failed to
  // read. Either way, what was read is not the file.
  bool shrank() const;

  // For a front-to-back reader done with everything before `end`: unmaps those pages from this
  // process (they stay in the page cache and are mapped again if touched), so that the resident
  // set stays small whatever the file size. Each call starts at the page holding the previous
  // call's end, which was only partly done then and so was kept. (Releases that started at the
  // next whole page instead left a 192 MiB scan with 24 MiB resident, a 1 GiB push with ~60 MiB;
  // now 6 MiB, the blocks in flight.) Not thread-safe: one reader.
  void ReleaseBefore(uint64_t end);

  // Starts reading [begin, end) into the page cache in the background (MADV_WILLNEED), so that a
  // front-to-back reader of a file that is not cached finds its pages there.
  void Prefetch(uint64_t begin, uint64_t end);

 private:
  MappedFile(uint8_t* base, uint64_t size, int slot) : base_(base), size_(size), slot_(slot) {}
  uint8_t* base_;
  uint64_t size_;
  int slot_;               // in the SIGBUS handler's table of live mappings
  uint64_t released_ = 0;  // the end of the last ReleaseBefore
};

}  // namespace castor
