// tokenizer.json's `post_processor` by its "type": special tokens around $A
// (and $B). The RoBERTa and BERT shapes keep their dedicated kinds, whether
// written as RobertaProcessing/BertProcessing or as a TemplateProcessing; any
// other template (XLM-R variants, T5's `$A </s>`, multi-id specials) becomes
// id lists.
#include "tokenizer/post_processors/post_processor_json.h"

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tokenizer/loader/checks.h"

namespace cappy::tok::load {

namespace {

// One piece of a template: a special token by name, or $A / $B.
struct Piece {
  std::string token;  // empty for a sequence
  char seq = 0;       // 'A' or 'B' for a sequence
  std::optional<json::Value> value;
};

std::optional<json::Object> ObjectField(json::Value v, std::string_view key) {
  if (!json::IsObject(v)) return std::nullopt;
  const std::optional<json::Value> f = json::Field(json::Object(v), key);
  if (!f || !json::IsObject(*f)) return std::nullopt;
  return json::Object(*f);
}

std::vector<Piece> Pieces(const std::optional<json::Value>& list, const std::string& where) {
  if (!list || !json::IsArray(*list)) Fail(where + " must be an array");
  std::vector<Piece> out;
  size_t i = 0;
  for (const json::Value x : json::Array(*list)) {
    Piece piece;
    piece.value = x;
    const std::optional<json::Object> special = ObjectField(x, "SpecialToken");
    const std::optional<json::Value> name = special ? json::Field(*special, "id") : std::nullopt;
    const std::optional<json::Object> sequence = ObjectField(x, "Sequence");
    const std::optional<json::Value> seq = sequence ? json::Field(*sequence, "id") : std::nullopt;
    if (name && json::IsString(*name)) {
      piece.token = std::string(std::string_view(*name));
    } else if (seq && (json::String(*seq) == "A" || json::String(*seq) == "B")) {
      piece.seq = json::String(*seq)->front();
    } else {
      Fail(where + "[" + std::to_string(i) +
           "] must be {\"SpecialToken\": {\"id\": ...}} or {\"Sequence\": {\"id\": \"A\" | \"B\"}}");
    }
    out.push_back(std::move(piece));
    i++;
  }
  return out;
}

size_t Count(const std::vector<Piece>& pieces, char seq) {
  size_t n = 0;
  for (const Piece& p : pieces) n += p.seq == seq;
  return n;
}

// A piece's type id: its own, 0 when it says none, -1 when it is not an id.
int64_t TypeOf(const Piece& p) {
  std::optional<json::Object> inner = ObjectField(*p.value, "SpecialToken");
  if (!inner) inner = ObjectField(*p.value, "Sequence");
  if (!inner) return 0;
  const std::optional<json::Value> t = json::Present(*inner, "type_id");
  if (!t) return 0;
  const std::optional<int32_t> id = json::Id(*t);
  return id ? *id : -1;
}

std::string RenderTypes(const std::vector<int64_t>& types) {
  std::string out = "[";
  for (size_t i = 0; i < types.size(); i++) out += (i ? "," : "") + std::to_string(types[i]);
  return out + "]";
}

// BERT's segment ids: type 0 for `cls $A sep`, one type (1 in every BERT file)
// for `$B sep`. The engine feeds them as token_type_ids, so a file that mixes
// types any other way is refused rather than scored with the wrong ids.
// (RoBERTa's shape keeps 0 whatever the file says: its models have one type
// and transformers never feeds them token_type_ids.)
int32_t BertPairType(const std::vector<Piece>& single, const std::vector<Piece>& pair, const std::string& where) {
  std::vector<int64_t> single_types, pair_types;
  for (const Piece& p : single) single_types.push_back(TypeOf(p));
  for (const Piece& p : pair) pair_types.push_back(TypeOf(p));
  bool ok = pair_types[3] >= 0 && pair_types[4] == pair_types[3];
  for (const int64_t t : single_types) ok = ok && t == 0;
  for (size_t i = 0; i < 3; i++) ok = ok && pair_types[i] == 0;
  if (!ok) {
    Fail(where + ": BERT template type ids must be 0 for [CLS] $A [SEP] and one type for $B [SEP] (got single " +
         RenderTypes(single_types) + ", pair " + RenderTypes(pair_types) + ")");
  }
  return static_cast<int32_t>(pair_types[3]);
}

PostProcessorSpec ReadTemplate(json::Object p, const std::string& where) {
  const std::optional<json::Value> specials_value = json::Field(p, "special_tokens");
  const std::optional<json::Object> specials = specials_value && json::IsObject(*specials_value)
                                                   ? std::optional<json::Object>(json::Object(*specials_value))
                                                   : std::nullopt;
  auto ids_of = [&](const std::string& name) {
    const std::optional<json::Value> entry = specials ? json::Field(*specials, name) : std::nullopt;
    const std::optional<json::Value> list =
        entry && json::IsObject(*entry) ? json::Field(json::Object(*entry), "ids") : std::nullopt;
    std::vector<int32_t> ids;
    bool ok = list && json::IsArray(*list);
    if (ok) {
      for (const json::Value v : json::Array(*list)) {
        const std::optional<int32_t> id = json::Id(v);
        ok = ok && id.has_value();
        if (id) ids.push_back(*id);
      }
    }
    if (!ok) Fail(where + ".special_tokens[" + json::Quote(name) + "] must list its ids");
    return ids;
  };
  const std::vector<Piece> single = Pieces(json::Field(p, "single"), where + ".single");
  const std::optional<json::Value> pair_value = json::Present(p, "pair");
  const std::vector<Piece> pair = pair_value ? Pieces(pair_value, where + ".pair") : std::vector<Piece>();
  if (Count(single, 'A') != 1 || Count(single, 'B') != 0) Fail(where + ".single must hold $A once and no $B");
  if (pair_value && (Count(pair, 'A') != 1 || Count(pair, 'B') != 1))
    Fail(where + ".pair must hold $A and $B once each");

  // The two shapes the scorer's models use keep their dedicated kinds.
  const Piece& first = single.front();
  const Piece& last = single.back();
  if (single.size() == 3 && first.seq == 0 && last.seq == 0 && ids_of(first.token).size() == 1 &&
      ids_of(last.token).size() == 1) {
    PostProcessorSpec out;
    out.cls = first.token;
    out.cls_id = ids_of(first.token)[0];
    out.sep = last.token;
    out.sep_id = ids_of(last.token)[0];
    auto shaped = [&](const std::vector<std::string>& shape) {
      if (pair.size() != shape.size()) return false;
      for (size_t i = 0; i < shape.size(); i++) {
        const bool seq = shape[i] == "$A" || shape[i] == "$B";
        if (seq ? pair[i].seq != shape[i][1] : pair[i].seq != 0 || pair[i].token != shape[i]) return false;
      }
      return true;
    };
    if (shaped({out.cls, "$A", out.sep, out.sep, "$B", out.sep})) {
      out.kind = PostProcessorSpec::Kind::kRoberta;
      return out;
    }
    if (shaped({out.cls, "$A", out.sep, "$B", out.sep})) {
      out.kind = PostProcessorSpec::Kind::kBert;
      out.pair_type_id = BertPairType(single, pair, where);
      return out;
    }
  }
  PostProcessorSpec out;
  out.kind = PostProcessorSpec::Kind::kTemplate;
  out.cls = out.sep = "";
  out.cls_id = out.sep_id = 0;
  auto flat = [&](const std::vector<Piece>& pieces, std::vector<int32_t>& ids) {
    for (const Piece& x : pieces) {
      if (x.seq != 0) {
        ids.push_back(x.seq == 'A' ? PostProcessorSpec::kSequenceA : PostProcessorSpec::kSequenceB);
      } else {
        for (const int32_t id : ids_of(x.token)) ids.push_back(id);
      }
    }
  };
  flat(single, out.single);
  flat(pair, out.pair);
  return out;
}

// [token, id], as RobertaProcessing and BertProcessing write cls and sep.
std::pair<std::string, int32_t> TokenPair(const std::optional<json::Value>& v, const std::string& where) {
  std::optional<std::string_view> token;
  std::optional<int32_t> id;
  size_t n = 0;
  if (v && json::IsArray(*v)) {
    for (const json::Value part : json::Array(*v)) {
      if (n == 0) token = json::String(part);
      if (n == 1) id = json::Id(part);
      n++;
    }
  }
  if (n != 2 || !token || !id) Fail(where + " must be [token, id]");
  return {std::string(*token), *id};
}

}  // namespace

PostProcessorSpec ReadPostProcessor(const std::optional<json::Value>& p, const std::string& where) {
  if (!p) return PostProcessorSpec();
  if (!json::IsObject(*p)) Fail(where + " must be an object or null");
  const json::Object o(*p);
  const PostProcessorType type = ReadType(o, where, kPostProcessorTypes);
  PostProcessorSpec out;
  switch (type) {
    case PostProcessorType::kRobertaProcessing:
    case PostProcessorType::kBertProcessing:
      std::tie(out.sep, out.sep_id) = TokenPair(json::Field(o, "sep"), where + ".sep");
      std::tie(out.cls, out.cls_id) = TokenPair(json::Field(o, "cls"), where + ".cls");
      out.kind = type == PostProcessorType::kBertProcessing ? PostProcessorSpec::Kind::kBert
                                                            : PostProcessorSpec::Kind::kRoberta;
      // HF's BertProcessing gives the second text and its [SEP] type id 1.
      if (out.kind == PostProcessorSpec::Kind::kBert) out.pair_type_id = 1;
      return out;
    case PostProcessorType::kByteLevel:
      return out;  // only trims offsets, which are never built
    case PostProcessorType::kTemplateProcessing:
      return ReadTemplate(o, where);
    case PostProcessorType::kSequence:
      break;
  }
  const std::optional<json::Value> list = json::Field(o, "processors");
  if (!list || !json::IsArray(*list)) Fail(where + ".processors must be an array");
  size_t i = 0;
  size_t adding = 0;
  for (const json::Value q : json::Array(*list)) {
    const std::optional<json::Value> member = json::IsNull(q) ? std::nullopt : std::optional<json::Value>(q);
    PostProcessorSpec one = ReadPostProcessor(member, where + ".processors[" + std::to_string(i++) + "]");
    if (one.kind == PostProcessorSpec::Kind::kNone) continue;
    if (adding++ == 0) out = std::move(one);
  }
  if (adding > 1) Fail(where + ": at most one processor may add special tokens");
  return out;
}

}  // namespace cappy::tok::load
