package remote

import (
	"encoding/json"
	"fmt"
	"net/http"
)

func jsonDecode(resp *http.Response, v any) error {
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
