// The little XML reading S3 needs: the text of named elements in a response body (ListObjectsV2,
// InitiateMultipartUpload, CompleteMultipartUpload, Error). Not a general parser: S3 bodies are
// flat, namespace-free element trees, and that is all this handles. Thread-safe (pure).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace castor::s3 {

// The raw inner text of each <tag>...</tag> (and <tag/> as empty), in document order.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
// The unescaped text of the first <tag> element, if any.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);
// Replaces &amp; &lt; &gt; &quot; &apos; and numeric references.
std::string XmlUnescape(std::string_view s);
// Escapes text for an element body.
std::string XmlEscape(std::string_view s);

}  // namespace castor::s3
