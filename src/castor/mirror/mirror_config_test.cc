#include "castor/mirror/mirror_config.h"

#include <gtest/gtest.h>

#include <map>

#include "castor/mirror/content_check.h"

namespace castor::mirror {
namespace {

TEST(MirrorConfig, Toml) {
  MirrorConfig c;
  Status s = ApplyToml(R"(
to = "s3://bucket/models?region=eu-west-1"
layout = "snapshots"
jobs = 8
part_size_mib = 32
include = ["*.safetensors", "*.json"]
exclude = "*.bin"
[[repos]]
name = "openai-community/gpt2@v1"
[[repos]]
name = "org/data"
type = "dataset"
revision = "refs/pr/2"
include = ["*.parquet"]
)",
                       c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.destination, "s3://bucket/models?region=eu-west-1");
  EXPECT_EQ(c.layout, Layout::kSnapshots);
  EXPECT_EQ(c.jobs, 8);
  EXPECT_EQ(c.part_size, 32ull << 20);
  EXPECT_EQ(c.exclude, std::vector<std::string>{"*.bin"});
  ASSERT_EQ(c.repos.size(), 2u);
  EXPECT_EQ(c.repos[0].repo.revision, "v1");
  EXPECT_EQ(c.repos[1].repo.path(), "datasets/org/data");
  EXPECT_EQ(c.repos[1].repo.revision, "refs/pr/2");
  EXPECT_EQ(c.repos[1].include, std::vector<std::string>{"*.parquet"});
  EXPECT_EQ(c.MemoryBound(), 8ull * (32ull << 20) * (2 + 1));  // default part_parallelism 2
  EXPECT_TRUE(Validate(c).ok());
}

TEST(MirrorConfig, TomlErrorsNameTheKey) {
  auto err = [](std::string_view t) {
    MirrorConfig c;
    return ApplyToml(t, c).message();
  };
  EXPECT_NE(err("jbos = 3").find("unknown key 'jbos'"), std::string::npos);
  EXPECT_NE(err("jobs = 0").find("'jobs'"), std::string::npos);
  EXPECT_NE(err("jobs = \"four\"").find("'jobs'"), std::string::npos);
  EXPECT_NE(err("layout = \"flat\"").find("layout"), std::string::npos);
  EXPECT_NE(err("[[repos]]\nrevision = \"x\"").find("'name' is required"), std::string::npos);
  EXPECT_NE(err("[[repos]]\nname = \"a/b/c\"").find("repos[0]"), std::string::npos);
  EXPECT_NE(err("to = ").find("line 1"), std::string::npos);
}

TEST(MirrorConfig, EnvironmentOverridesFile) {
  MirrorConfig c;
  ASSERT_TRUE(ApplyToml("to = \"/from/file\"\nrepos = [\"a/b\"]\njobs = 2", c).ok());
  std::map<std::string, std::string> vars{{"CASTOR_MIRROR_TO", "/from/env"},
                                          {"CASTOR_MIRROR_REPOS", "x/y@dev, datasets/p/q"},
                                          {"CASTOR_MIRROR_JOBS", "6"},
                                          {"CASTOR_MIRROR_INCLUDE", "*.json,*.txt"}};
  hub::EnvLookup env = [&](const char* n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  ASSERT_TRUE(ApplyEnv(env, c).ok());
  EXPECT_EQ(c.destination, "/from/env");
  ASSERT_EQ(c.repos.size(), 2u);
  EXPECT_EQ(c.repos[0].repo.revision, "dev");
  EXPECT_EQ(c.repos[1].repo.path(), "datasets/p/q");
  EXPECT_EQ(c.jobs, 6);
  EXPECT_EQ(c.include.size(), 2u);
  vars["CASTOR_MIRROR_JOBS"] = "6x";
  EXPECT_FALSE(ApplyEnv(env, c).ok());
}

TEST(MirrorConfig, Validate) {
  MirrorConfig c;
  EXPECT_NE(Validate(c).message().find("no repository"), std::string::npos);
  c.repos.push_back(RepoSpec{*hub::ParseRepoRef("a/b"), {}, {}});
  EXPECT_NE(Validate(c).message().find("no destination"), std::string::npos);
  c.destination = "/x";
  EXPECT_TRUE(Validate(c).ok());
}

TEST(Selected, Globs) {
  EXPECT_TRUE(Selected("a/b.json", {}, {}));
  EXPECT_TRUE(Selected("a/b.json", {"*.json"}, {}));  // '*' crosses '/'
  EXPECT_FALSE(Selected("a/b.bin", {"*.json"}, {}));
  EXPECT_FALSE(Selected("onnx/m.json", {"*.json"}, {"onnx/*"}));
  EXPECT_TRUE(Selected("model-00001-of-00002.safetensors", {"model-0000[0-9]-*"}, {}));
}

TEST(ContentCheck, GitBlobAndSha256) {
  // `printf 'hello\n' | git hash-object --stdin`
  EXPECT_EQ(GitBlobId(AsBytes("hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
  EXPECT_EQ(GitBlobId(AsBytes("")), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  hub::RepoFile small{"f", 6, "ce013625030ba8dba906f756967f9e9ca394464a", "", ""};
  ContentCheck ok(small);
  ok.Update(AsBytes("hel"));
  ok.Update(AsBytes("lo\n"));
  EXPECT_TRUE(ok.Finish().ok());
  EXPECT_EQ(ok.sha256_hex(), "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  ContentCheck bad(small);
  bad.Update(AsBytes("hello!"));
  EXPECT_NE(bad.Finish().message().find("git blob id mismatch"), std::string::npos);

  hub::RepoFile lfs{"f", 6, "pointer-oid",
                    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", ""};
  ContentCheck l(lfs);
  l.Update(AsBytes("hello\n"));
  EXPECT_TRUE(l.Finish().ok());
  ContentCheck lb(lfs);
  lb.Update(AsBytes("hellO\n"));
  EXPECT_NE(lb.Finish().message().find("sha256 mismatch"), std::string::npos);
  ContentCheck shorter(lfs);
  shorter.Update(AsBytes("hell"));
  EXPECT_NE(shorter.Finish().message().find("size mismatch"), std::string::npos);
}

}  // namespace
}  // namespace castor::mirror
