// EDN values out again: lowered to JSON (to_json) and printed back as EDN
// text (to_edn). Reading is in edn.cpp.
#include <cmath>
#include <cstdio>
#include <string>

#include "faultline/history/edn.h"

namespace faultline::edn {

namespace {

// The object key a map key lowers to, or false when it has none.
bool key_string(const Value& key, std::string& out) {
  switch (key.kind) {
    case Value::Kind::kKeyword:
    case Value::Kind::kString:
    case Value::Kind::kSymbol:
    case Value::Kind::kBigInt:
      out = key.text;
      return true;
    case Value::Kind::kInt:
      out = std::to_string(key.integer);
      return true;
    case Value::Kind::kFloat:
      out = key.text.empty() ? Json(key.number).dump() : key.text;
      return true;
    default:
      return false;
  }
}

}  // namespace

Json to_json(const Value& value) {
  switch (value.kind) {
    case Value::Kind::kNil: return nullptr;
    case Value::Kind::kBool: return value.boolean;
    case Value::Kind::kInt: return value.integer;
    case Value::Kind::kBigInt: return value.text;
    case Value::Kind::kFloat: return value.number;
    case Value::Kind::kString:
    case Value::Kind::kChar:
    case Value::Kind::kKeyword:
    case Value::Kind::kSymbol:
      return value.text;
    case Value::Kind::kList:
    case Value::Kind::kVector:
    case Value::Kind::kSet: {
      Json out = Json::array();
      for (const Value& item : value.items) out.push_back(to_json(item));
      return out;
    }
    case Value::Kind::kTagged:
      return value.items.empty() ? Json(nullptr) : to_json(value.items[0]);
    case Value::Kind::kMap: {
      Json object = Json::object();
      std::string key;
      bool keyed = true;
      for (std::size_t i = 0; keyed && i + 1 < value.items.size(); i += 2) {
        if (!key_string(value.items[i], key) || object.contains(key)) {
          keyed = false;
          break;
        }
        object[key] = to_json(value.items[i + 1]);
      }
      if (keyed) return object;
      Json pairs = Json::array();
      for (std::size_t i = 0; i + 1 < value.items.size(); i += 2) {
        pairs.push_back(Json::array({to_json(value.items[i]), to_json(value.items[i + 1])}));
      }
      return pairs;
    }
  }
  return nullptr;
}

namespace {

void append_edn(std::string& out, const Value& value) {
  auto sequence = [&](const char* open, const char* close) {
    out += open;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
      if (i > 0) out += value.kind == Value::Kind::kMap && i % 2 == 0 ? ", " : " ";
      append_edn(out, value.items[i]);
    }
    out += close;
  };
  switch (value.kind) {
    case Value::Kind::kNil: out += "nil"; break;
    case Value::Kind::kBool: out += value.boolean ? "true" : "false"; break;
    case Value::Kind::kInt: out += std::to_string(value.integer); break;
    case Value::Kind::kBigInt: out += value.text + "N"; break;
    case Value::Kind::kFloat: out += value.text.empty() ? Json(value.number).dump() : value.text; break;
    case Value::Kind::kString:
      out += '"';
      for (char c : value.text) {
        switch (c) {
          case '"': out += "\\\""; break;
          case '\\': out += "\\\\"; break;
          case '\n': out += "\\n"; break;
          case '\t': out += "\\t"; break;
          case '\r': out += "\\r"; break;
          default: out += c;
        }
      }
      out += '"';
      break;
    case Value::Kind::kChar:
      if (value.text == "\n") out += "\\newline";
      else if (value.text == " ") out += "\\space";
      else if (value.text == "\t") out += "\\tab";
      else if (value.text == "\r") out += "\\return";
      else out += "\\" + value.text;
      break;
    case Value::Kind::kKeyword: out += ":" + value.text; break;
    case Value::Kind::kSymbol: out += value.text; break;
    case Value::Kind::kList: sequence("(", ")"); break;
    case Value::Kind::kVector: sequence("[", "]"); break;
    case Value::Kind::kSet: sequence("#{", "}"); break;
    case Value::Kind::kMap: sequence("{", "}"); break;
    case Value::Kind::kTagged:
      out += "#" + value.text + " ";
      if (!value.items.empty()) append_edn(out, value.items[0]);
      break;
  }
}

}  // namespace

std::string to_edn(const Value& value) {
  std::string out;
  append_edn(out, value);
  return out;
}

}  // namespace faultline::edn
