// The CSS and JavaScript inlined into every page (so a report opens offline,
// with no CDN). Kept in their own translation units so the C++ that writes
// the pages stays readable.
#ifndef FAULTLINE_REPORTS_REPORT_ASSETS_H_
#define FAULTLINE_REPORTS_REPORT_ASSETS_H_

namespace faultline::reports {

extern const char* const kReportCss;
extern const char* const kReportJs;  // reads <script id="report-data">, draws the canvases
extern const char* const kIndexCss;
extern const char* const kIndexJs;   // sorting and filtering of the runs table

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_REPORT_ASSETS_H_
